"""netlayers: the layers no longer know each other; netlayers.model combines them."""
