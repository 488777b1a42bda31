"""Routes for expression requests (being built: see the open issue)."""

from fastapi import APIRouter

router = APIRouter()
