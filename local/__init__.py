"""Local tooling: read ``template.yaml`` and serve its HTTP API without AWS or Docker."""
