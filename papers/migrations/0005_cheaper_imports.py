"""Cheaper bulk imports: fewer indexes on papers, each of which costs every insert.

Drops the LIKE-pattern twins of the DOI, arXiv id and title-key indexes, the venue index
(the (venue, year) index serves it), the year index (no page filters by year alone) and
the authorship paper index (the unique (paper, position) index serves it); papers with
summaries get a partial index. Search documents, derived data, lose their foreign-key
constraints, which were checked for every document an import writes.
"""


import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('papers', '0004_search_documents'),
    ]

    operations = [
        migrations.AlterField(
            model_name='authorship',
            name='paper',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='authorships', to='papers.paper'),
        ),
        migrations.AlterField(
            model_name='paper',
            name='arxiv_id',
            field=models.CharField(blank=True, max_length=50, verbose_name='arXiv id'),
        ),
        migrations.AlterField(
            model_name='paper',
            name='doi',
            field=models.CharField(blank=True, max_length=255, verbose_name='DOI'),
        ),
        migrations.AlterField(
            model_name='paper',
            name='public_summary_count',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='paper',
            name='title_key',
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.AlterField(
            model_name='paper',
            name='venue',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='papers', to='papers.venue'),
        ),
        migrations.AlterField(
            model_name='paper',
            name='year',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='searchdocument',
            name='paper',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='papers.paper'),
        ),
        migrations.AlterField(
            model_name='searchdocument',
            name='venue',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='papers.venue'),
        ),
        migrations.AddIndex(
            model_name='paper',
            index=models.Index(fields=['doi'], name='paper_doi'),
        ),
        migrations.AddIndex(
            model_name='paper',
            index=models.Index(fields=['arxiv_id'], name='paper_arxiv_id'),
        ),
        migrations.AddIndex(
            model_name='paper',
            index=models.Index(fields=['title_key'], name='paper_title_key'),
        ),
        migrations.AddIndex(
            model_name='paper',
            index=models.Index(condition=models.Q(('public_summary_count__gt', 0)), fields=['public_summary_count'], name='paper_with_summaries'),
        ),
    ]
