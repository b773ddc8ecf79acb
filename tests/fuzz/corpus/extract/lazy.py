__lazy_modules__ = ['pkg.a']
import pkg.a
lazy import top
lazy from pkg import b
match x:
    case 1:
        import pkg.b
