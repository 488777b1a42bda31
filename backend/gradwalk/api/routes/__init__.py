"""One APIRouter per concern; main.py includes them all."""
