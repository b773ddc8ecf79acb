"""activations_demo: a layer and its helper module that import each other (broken on purpose)."""
