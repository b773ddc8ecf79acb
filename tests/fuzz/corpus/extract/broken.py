import a
def f(:
    pass
from . import (
print 'py2'
import b
