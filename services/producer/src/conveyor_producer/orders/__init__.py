"""Orders: accepting an order (OrderSubmitted) and reading it back."""
