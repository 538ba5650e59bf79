"""Rights requests (PIPL Chapter IV): requests, identity verification, deadlines, plans."""
