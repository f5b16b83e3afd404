"""Journey flows beyond sign-in. Each module calls machine.extend() when imported."""
