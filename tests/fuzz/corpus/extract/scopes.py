import typing
if typing.TYPE_CHECKING:
    from pkg import a
try:
    import top
except ImportError:
    top = None
def f():
    from pkg import b
    return b
class K(a.Base):
    import pkg.sub
if __name__ == '__main__':
    import pkg
