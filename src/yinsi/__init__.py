"""yinsi (隐私): PIPL-native privacy engineering for Chinese consumer-finance apps."""

__version__ = "0.1.0"

__all__ = ["__version__"]
