# Pants BUILD macros shared by the workspace packages (loaded through
# build_file_prelude_globs in pants.toml).


def conveyor_package(extra_dependencies=()):
    """Sources and package data of one src/<package> directory.

    Recursive globs so new subpackages need no BUILD file of their own.
    """
    python_sources(
        sources=["**/*.py"],
        dependencies=[":resources", *extra_dependencies],
    )
    # Read at run time: templates, migrations, typing marker.
    resources(
        name="resources",
        sources=["py.typed", "**/*.html", "**/*.txt", "**/*.mako", "**/*.ini", "**/*.json"],
    )


def conveyor_requirements():
    """Third-party requirements from the package's [project] dependencies.

    Workspace siblings are first-party sources, so they map to no module.
    """
    python_requirements(
        name="reqs",
        source="pyproject.toml",
        module_mapping={"conveyor-common": [], "conveyor-aws": []},
    )
