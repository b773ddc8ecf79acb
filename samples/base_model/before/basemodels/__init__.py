"""basemodels: a base model class and its helper module that import each other (broken on purpose)."""
