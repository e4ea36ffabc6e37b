"""teu.compose: multi-service applications from Compose files (the Compose Specification).

Layer 8, above build. `loader.load(ProjectOptions(...))` turns Compose files into one
normalised project model (plain dicts, the shape `docker compose config` prints);
the CLI (`teu compose`) and later `up`/`down` work from that model.

    yamlfile      YAML with line numbers and the !reset / !override tags
    interpolate   ${V}, ${V:-d}, ${V?e}, ... and $$
    dotenv        .env files and env_file entries
    canonical     short syntax to long syntax (ports, volumes, environment, ...)
    merge         the spec's merge rules between files (and extends)
    loader        files, project name, env, include, extends, profiles, defaults
"""
