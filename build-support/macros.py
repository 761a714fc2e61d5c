# Pants BUILD macros shared by the workspace packages (loaded through
# build_file_prelude_globs in pants.toml).


def conveyor_package(data=(), overrides=None, exclude=()):
    """Sources and package data of one src/<package> directory.

    Recursive globs so new subpackages need no BUILD file of their own; data names
    the files the package reads at run time; exclude leaves out subdirectories with a
    BUILD file of their own.
    """
    python_sources(
        sources=["**/*.py", *(f"!{pattern}" for pattern in exclude)],
        dependencies=[":resources"],
        overrides=overrides,
    )
    resources(name="resources", sources=["py.typed", *data])


def conveyor_service(name):
    """The PEX of one service, started as its image starts it: `python -m conveyor_<name>`.

    Like the image, it holds the whole service and both libraries, so the image's other
    commands run from it too (PEX_MODULE=conveyor_aws.broker.liveness, the health check;
    conveyor_aws.bootstrap and conveyor_processor.migrate, the one-shot `migrate`). A venv
    PEX installs itself on its first start: package data are real files, later starts fast.
    """
    pex_binary(
        name=name,
        entry_point=f"conveyor_{name}.__main__",
        dependencies=[
            f"services/{name}/src/conveyor_{name}",
            "libs/common/src/conveyor_common",
            "libs/aws_clients/src/conveyor_aws",
        ],
        execution_mode="venv",
    )
