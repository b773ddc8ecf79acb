"""basemodels: the base class no longer imports its helpers; subclasses call them."""
