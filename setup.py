"""Which files the package holds; everything else about it is in pyproject.toml.

The course's programs and their shown outputs live in snippets/ at the top of the checkout,
where the site includes them from. An installed package carries them as bpfhol/snippets
(`bpfhol run syscalls/mmap-top-caller.bt` needs them); config.SNIPPETS finds either.
pyproject.toml cannot map a directory into a package while still discovering the others.
"""

from setuptools import find_namespace_packages, find_packages, setup

LABS = [f"bpfhol.snippets.{p}" for p in find_namespace_packages("snippets", exclude=["*__pycache__*"])]

setup(
    packages=[*find_packages(include=["bpfhol", "bpfhol.*", "workloads", "workloads.*"]), "bpfhol.snippets", *LABS],
    package_dir={"bpfhol.snippets": "snippets"},
    package_data={"bpfhol.snippets": ["*.md"], **{p: ["*"] for p in LABS}},
)
