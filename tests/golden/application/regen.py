#!/usr/bin/env python3
"""Regenerates tests/golden/application/*.prom: the families of the equivalent CRS config
from the independent CRS model (tests/crs/crs_model.py), then the ksmc-only count family
kube_customresource_application_resources, computed here by hand-written Python: per
object with a status, one sample per sync status in [OutOfSync, Synced, Unknown] with the
number of .status.resources[] whose status equals it. Review every diff."""
import glob
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "model-kinds"))
from ksm_model import esc, load_objects  # noqa: E402

model = os.path.join(here, "..", "..", "crs", "crs_model.py")
config = os.path.join(here, "..", "..", "crs", "cases", "application.crs.yaml")
NAME = "kube_customresource_application_resources"
HELP = ("Number of the Application's managed resources per sync status (a ksmc count; not "
        "expressible in CRS).")

for case in sorted(glob.glob(os.path.join(here, "*.json"))):
    out = subprocess.run([sys.executable, model, config, case], check=True,
                         capture_output=True, text=True).stdout
    objs = load_objects(case)
    if objs:
        out += f"# HELP {NAME} {HELP}\n# TYPE {NAME} gauge\n"
    for o in objs:
        status = o.get("status")
        if status is None:
            continue
        res = status.get("resources") or []
        for s in ["OutOfSync", "Synced", "Unknown"]:
            n = sum(1 for r in res if r.get("status") == s)
            md = o["metadata"]
            out += (f'{NAME}{{customresource_group="argoproj.io",customresource_kind="Application",'
                    f'customresource_version="v1alpha1",name="{esc(md["name"])}",'
                    f'namespace="{esc(md["namespace"])}",sync_status="{s}"}} {n}\n')
    with open(case[:-5] + ".prom", "w", encoding="utf-8") as f:
        f.write(out)
