"""What is not the product but ships with it: the demo and its synthetic answers."""
