"""activations_demo: the layer looks its helper up only when it runs.

utils still imports the layer at module level, and the layer imports utils
inside call(): the modules still depend on each other at run time, but no
import statement runs while the other module is half-built.
"""
