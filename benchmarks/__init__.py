"""Scripts that measure the course's figures (not timed tests): `./dev bench` runs them all."""
