import os, sys as system
from . import a
from ..sub import c
from pkg.b import x as y
from .. import *
import pkg.a.deep
