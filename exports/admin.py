# The exports app registers its models here once it has some (releases).
