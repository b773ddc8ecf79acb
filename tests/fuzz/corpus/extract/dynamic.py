import importlib
from importlib import import_module as load
m = importlib.import_module('.a', 'pkg')
n = load('pkg.b')
__import__('pkg.sub', globals(), locals(), ['c'], 0)
import lazy_loader
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submodules=['a'], submod_attrs={'b': ['x']})
