"""`teu lint`: the common mistakes, with stable rule IDs, a reason and a fix each.

    rules.py        the rule table (IDs never change meaning; new rules get new IDs)
    findings.py     LintFinding, severity levels and the threshold, text/JSON/SARIF output
    dockerfile_read.py   a Dockerfile through teu.build's parser, as the rules see it
    dockerfile.py   rules over a Dockerfile
    image.py        rules over a store image: its config, history and every layer's files
    compose.py      rules over a Compose file's services
    kube.py         rules over Kubernetes manifests (Pod templates of every workload kind)
    runspec.py      rules over a `teu run` command line (parsed by the CLI into a RunSpec)
    refs.py         what `latest`/untagged means for an image reference
"""
