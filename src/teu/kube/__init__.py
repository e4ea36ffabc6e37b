"""Kubernetes for teu: manifests generated from containers, pods and Compose projects
(`teu kube generate`), and manifests run on this machine (`teu kube play`, `kube down`),
as podman's `kube generate` / `kube play` do.

    names.py       Kubernetes' name rules (RFC 1123 labels and subdomains, RFC 1035,
                   port names) and the conversion of local names to them
    model.py       what generate knows of a workload, whatever its source (typed)
    from_engine.py containers and pods of the engine -> workloads
    from_compose.py a Compose project (teu.compose's loader) -> workloads
    generate.py    workloads -> Pod/Deployment, Service, PVC, ConfigMap, Secret documents
    check.py       teu's own checks of manifests: names, ports, selectors
    manifest.py    YAML in (several documents, file:line errors) and out
    play.py        manifests -> pods, containers, volumes on this machine
    down.py        what play made, removed
"""
