"""crisisctl: versioned crisis playbooks run as tracked, tamper-evident incidents."""

__version__ = "0.1.0"
