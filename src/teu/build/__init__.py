"""teu build: Dockerfiles with BuildKit's semantics, above the engine.

    dockerfile/   the Dockerfile language: shell lexer (variable substitution), the
                  line parser (directives, continuations, heredocs), typed instructions,
                  stages and ARG scopes (pure)
    context.py    the build context read in place, .dockerignore
    graph.py      stages as a graph: what a target needs, what can run in parallel
    cache.py      the content-addressed step cache
    steps/        one module per kind of step: RUN (an engine container), COPY/ADD,
                  metadata instructions
    builder.py    a build from start to image in the store
    progress.py   BuildKit-like plain progress
"""
