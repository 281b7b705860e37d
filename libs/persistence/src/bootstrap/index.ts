export * from './installation-bootstrap';
