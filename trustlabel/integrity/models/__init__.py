"""The integrity app's data: the member register, label programmes and applications,
certificates, announcements and benchmark enterprises."""

from .benchmarks import MAX_BENCHMARKS, Benchmark, BenchmarkNote
from .certificates import Certificate, CertificateBatch
from .directory import ListedEnterprise, ListedProduct  # noqa: F401 - rows of integrity.directory
from .members import Industry, Member
from .programmes import (
    STANDARD_EXAMPLES,
    Application,
    CommitmentItem,
    CommitmentStatement,
    CoveredProduct,
    DeclaredStandard,
    Indicator,
    Programme,
    ReviewStep,
    ServicePromise,
    SupportingDocument,
)
from .publishing import Announcement, Attachment, PromiseReport

__all__ = [
    "MAX_BENCHMARKS",
    "STANDARD_EXAMPLES",
    "Announcement",
    "Application",
    "Attachment",
    "Benchmark",
    "BenchmarkNote",
    "Certificate",
    "CertificateBatch",
    "CommitmentItem",
    "CommitmentStatement",
    "CoveredProduct",
    "DeclaredStandard",
    "Indicator",
    "Industry",
    "Member",
    "Programme",
    "PromiseReport",
    "ReviewStep",
    "ServicePromise",
    "SupportingDocument",
]
