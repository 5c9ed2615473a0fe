"""Tools for the course's maintainers (the toolchain matrix); not part of the installed package."""
