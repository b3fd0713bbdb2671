"""How the stack is configured and started: settings, timing profiles, rendering, bootstrap."""
