/** The first load's placeholder: the widget's shape, without figures. */
export function Skeleton({ lines = 3 }: { lines?: number }) {
  return (
    <div className="skeleton" data-testid="widget-skeleton" aria-busy="true" aria-label="Loading">
      {Array.from({ length: lines }, (_, i) => <div key={i} className="skeleton-line" />)}
    </div>
  );
}
