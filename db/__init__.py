"""Storage for Impact Board: models, engine set-up and migrations."""
