"""The customer file: customers and the accounts onboarding opens for them."""
