#!/usr/bin/env python3
"""Write a JSON copy of each shipped provider profile for the Backends tests.

The Backends test target has no YAML parser, so it reads these copies. Run this script again after
changing a file in etc/kontextd/providers/ (needs PyYAML). The daemon tests read the YAML files.
"""
import json
import pathlib

import yaml

here = pathlib.Path(__file__).resolve().parent
providers = here.parents[3] / "etc" / "kontextd" / "providers"
for source in sorted(providers.glob("*.yaml")):
    profile = yaml.safe_load(source.read_text())
    (here / (source.stem + ".json")).write_text(json.dumps(profile, indent=2, sort_keys=True) + "\n")
    print(source.name)
