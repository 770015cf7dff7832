"""Profile, preferences, medical card (BMI, emergency QR) and avatar."""
