"""cost-per-customer: the Python side of the project (the `cpc` command)."""

from pathlib import Path

#: The dbt project root (the folder holding dbt_project.yml).
PROJECT_DIR = Path(__file__).resolve().parents[2]
