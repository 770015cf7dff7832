from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow

SOURCE_DIARY = "diary"
SOURCE_MESSAGE = "message"


class Chunk(Base):
    """A piece of an entry or message. Its text is encrypted; the vector store holds its
    vector under the same id, and `chunk_terms` its keyword postings."""

    __tablename__ = "rag_chunks"
    __table_args__ = (
        Index("ix_rag_chunks_user_id_source_id", "user_id", "source_id"),
        Index("ix_rag_chunks_user_id_chunk_date", "user_id", "chunk_date"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str] = mapped_column(String(36))
    chunk_date: Mapped[date] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer)
    length: Mapped[int] = mapped_column(Integer, doc="keyword terms in the chunk (BM25's dl)")
    text_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChunkTerm(Base):
    """A keyword posting. The term is a keyed hash (the user's own key), never the word."""

    __tablename__ = "rag_chunk_terms"
    __table_args__ = (Index("ix_rag_chunk_terms_user_id_term", "user_id", "term"),)

    chunk_id: Mapped[str] = mapped_column(
        ForeignKey("rag_chunks.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    frequency: Mapped[int] = mapped_column(Integer)


class IndexState(Base):
    """Per user: a version bumped by every change to the user's chunks (so every process
    knows when its in-memory copies are stale) and the counts BM25 needs."""

    __tablename__ = "rag_index_state"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    total_length: Mapped[int] = mapped_column(Integer, default=0)
