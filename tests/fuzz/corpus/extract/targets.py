for (a, (b, [c, *d])) in x:
    pass
with open(f) as (g, h):
    import top
(a, b), c = 1, 2
