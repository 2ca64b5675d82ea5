-- nothing here
/* at all */ ;;