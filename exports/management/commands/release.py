from annotation.errors import HyokaError
from annotation.management.base import HyokaCommand
from annotation.models import Campaign
from exports import kinds
from exports.models import Release
from exports.trajectory_selectors import series_by_name
from exports.services import release_build, release_check_version, release_create, release_folder, release_publish


class Command(HyokaCommand):
    help = (
        "Build a release of one or more campaigns (Parquet, JSON Lines and CSV tables, rubric, agreement and "
        "human-judge figures, dataset card, SHA256SUMS, zip) without a worker; --publish publishes it. "
        "A release holds likert campaigns (ratings, items, verdicts, preference pairs by mean overall score) or "
        "pairwise ones (votes, verdicts, rankings, preference pairs by the human majority) or exam ones (questions, "
        "answers, scores, the exam report; a source under a non-commercial license refuses a license that allows "
        "commercial use), one kind at a time; or model series (--series: checkpoints, trajectories raw and smoothed with their measures, per-example outcomes). "
        "The last line printed is the folder holding the files."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version is the release's (DESIGN.md), not Django's "show the version and exit".
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--campaign", action="append", default=[], metavar="SLUG",
                            help="A campaign to include; repeat for several.")
        parser.add_argument("--series", action="append", default=[], metavar="NAME",
                            help="A model series to include (instead of campaigns); repeat for several.")
        parser.add_argument("--version", dest="release_version", required=True, metavar="X.Y.Z",
                            help="Semantic version of the release.")
        parser.add_argument("--publish", action="store_true", help="Publish it once built.")
        parser.add_argument("--name", default="", help="Dataset name (default: the first campaign's slug or "
                                                       "series' name).")
        parser.add_argument("--title", default="")
        parser.add_argument("--description", default="")
        parser.add_argument("--license", default=Release.License.CC_BY_4_0, choices=Release.License.values,
                            help="The release's license (default cc-by-4.0; an exam campaign on a non-commercial "
                                 "source needs cc-by-nc-4.0, cc-by-nc-sa-4.0 or other).")
        parser.add_argument("--citation", default="", help="Citation text (e.g. BibTeX).")
        parser.add_argument("--restricted", action="store_true", help="Only signed-in researchers may download it.")
        parser.add_argument("--include-usernames", action="store_true", help="Publish annotators' user names.")
        parser.add_argument("--include-emails", action="store_true", help="Publish annotators' e-mail addresses.")
        parser.add_argument("--include-comments", action="store_true", help="Publish annotators' comments.")
        parser.add_argument("--dpo-threshold", type=float, default=1.0,
                            help="Least difference of mean overall scores for a preference pair (default 1; "
                                 "likert campaigns only).")

    def handle(self, *args, campaign, series, release_version, publish, **options):
        release_check_version(release_version)
        if not campaign and not series:
            raise HyokaError("name the campaigns (--campaign) or the model series (--series) to release")
        campaigns, series_list = campaigns_named(campaign), [series_by_name(name) for name in series]
        release = release_create(
            campaigns=campaigns, series=series_list, version=release_version, name=options["name"],
            title=options["title"], description=options["description"], license=options["license"],
            citation=options["citation"], restricted=options["restricted"],
            include_usernames=options["include_usernames"], include_emails=options["include_emails"],
            include_comments=options["include_comments"], dpo_threshold=options["dpo_threshold"], queue=False,
        )
        release = release_build(release_id=release.pk)
        if release.build_status != Release.BuildStatus.SUCCEEDED:
            raise HyokaError(f"release {release} failed to build: {release.build_error}")
        counted = kinds.for_release(release).built_summary(release.stats)
        self.stdout.write(f"release {release}: built {release.stats.get('files', 0)} files, {counted}")
        if publish:
            release_publish(release=release)
            self.stdout.write(f"release {release}: published")
        self.stdout.write(str(release_folder(release)))


def campaigns_named(slugs):
    campaigns = {c.slug: c for c in Campaign.objects.filter(slug__in=slugs).select_related("rubric")}
    missing = [slug for slug in slugs if slug not in campaigns]
    if missing:
        raise HyokaError(f"no campaign {', '.join(missing)}")
    return [campaigns[slug] for slug in dict.fromkeys(slugs)]
