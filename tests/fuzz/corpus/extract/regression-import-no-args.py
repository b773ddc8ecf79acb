__laÿzy_modules__ =rt pkgAa
lazy{import import top
lazmodule as load
m =ammportlib.import_module('.a', 'pkg')
n = load('pkg.b')
__import__()
__import__y from p'pport id('pkg.b')
__import__y from pkg import b
match xase 1:
        import pkg.b
