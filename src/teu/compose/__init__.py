"""teu.compose: multi-service applications from Compose files (the Compose Specification).

Layer 8, above build. `loader.load(ProjectOptions(...))` turns Compose files into one
normalised project model (plain dicts, the shape `docker compose config` prints);
the CLI (`teu compose`), `teu.api`'s client.compose and up/down work from that model.

    yamlfile      YAML with line numbers and the !reset / !override tags
    interpolate   ${V}, ${V:-d}, ${V?e}, ... and $$
    dotenv        .env files and env_file entries
    canonical     short syntax to long syntax (ports, volumes, environment, ...)
    merge         the spec's merge rules between files (and extends)
    loader        files, project name, env, include, extends, profiles, defaults
    normalize     defaults, names, references, start order; render: config's YAML/JSON
    hashing       the config hash docker compose labels containers with
    plan          a service -> the engine's run options (names, labels, limits, secrets)
    images        build: through teu.build; which images up must build or pull
    run           up (UpOptions), wait_ready, ps, down
    parallel      services side by side in dependency order (a forked child per start)
    attached      attached up: logs until all stop, Ctrl-C, --abort-on-container-exit
    logs          merged, prefixed logs (compose logs, attached up)
    containers    the project's containers for the other verbs

kube generate --compose reads `loader.load(...).model` (stable: plain dicts).
"""
