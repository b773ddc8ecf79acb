import importlib
x = importlib.import_module('pkg.a') or '''
[31m'''
