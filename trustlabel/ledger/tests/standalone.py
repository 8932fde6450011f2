"""What importing a module pulls in, seen from a fresh interpreter: the stand-alone tools
(verifier, witness, monitor) must run without Django."""

import json
import subprocess
import sys


def project_modules_after_import(*modules: str) -> list[str]:
    """The django and trustlabel modules a fresh Python has loaded after importing these."""
    code = (
        f"import sys, json, {', '.join(modules)}\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('django', 'trustlabel'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)
