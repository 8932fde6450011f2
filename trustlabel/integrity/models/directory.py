"""The public directory's search rows: one per participating enterprise and one per
product an approved application covers, holding what searches match and sort on.

Written only by `integrity.directory.refresh_enterprise` (called by the actions that
change what the directory shows); never shown as such: pages read the real records.
`terms` is indexed for full-text search by the migration (FTS5 on SQLite, a GIN index on
PostgreSQL): words, two-character pieces of Chinese names, and tags for the filters, so
that a search costs a few index lookups however many rows there are.
"""

from django.db import models

from trustlabel.accounts.models import Organisation
from trustlabel.catalog.models import Product


class ListedEnterprise(models.Model):
    organisation = models.OneToOneField(
        Organisation, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=200)  # the sort key
    search = models.TextField()  # names and credit code, normalised: checks fragments
    terms = models.TextField()  # space-separated index terms

    class Meta:
        indexes = [models.Index(fields=["name", "organisation"], name="listed_enterprise_by_name")]

    def __str__(self) -> str:
        return self.name


class ListedProduct(models.Model):
    product = models.OneToOneField(
        Product, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    search = models.TextField()
    terms = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["name", "product"], name="listed_product_by_name")]

    def __str__(self) -> str:
        return self.name
