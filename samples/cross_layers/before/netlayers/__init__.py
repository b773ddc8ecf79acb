"""netlayers: two custom Keras layers that reference each other (broken on purpose).

Import netlayers.layer_a or netlayers.layer_b and the import fails: each module
imports the other's class at module level, so one of them is only half-built
when the other asks it for its class.
"""
