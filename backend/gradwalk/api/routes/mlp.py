"""Routes for mlp requests (being built: see the open issue)."""

from fastapi import APIRouter

router = APIRouter()
