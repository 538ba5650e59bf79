"""What happens to PI between collection and deletion: retention, sharing, SDK gates."""
