import os
x = 'ÿþ'
from . import a
