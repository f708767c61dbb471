// Inspection helpers: a WebSocket inspector that lets the process exit, and the pre-filter for large crews.
export {
  createCrewInspector,
  type CrewInspector,
  type CrewInspectorOptions,
  type InspectorMessage,
} from './crew-inspector.js';
export { filterInspection, type FilteredInspector, type InspectionFilterOptions } from './filter.js';
