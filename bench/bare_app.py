"""The baseline: a bare FastAPI app returning a constant JSON object."""

from fastapi import FastAPI

app = FastAPI()
PAYLOAD = {"id": "00000000-0000-0000-0000-000000000000", "role": "user", "status": "ok"}


@app.get("/bare")
async def bare() -> dict[str, str]:
    return PAYLOAD
